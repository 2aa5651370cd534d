--[[ Pandoc filters for the report's Quarto route (see src/haiti_report/build/quarto.py).

1. For every format but HTML, read raw HTML blocks into pandoc elements. The build hands
   Quarto each HTML output of the notebook as a raw HTML block (so that Quarto adds no
   CDN scripts to the page); the PDF then shows the same paragraphs, lists and tables.
2. For every format but HTML, give tables relative column widths from their content, so that
   long columns (claims, reasons, titles) get the room and the table fits the page width.
   Tables whose widths the author set (unequal) are left alone.
]]

-- Characters of table text (8pt, see report-typst.typ) across the text width of an A4 page
-- with 2 cm margins, and the longest word a column must hold unbroken.
local LINE_CHARS, MAX_WORD, MAX_WANT = 125, 24, 70

local function is_html()
  return quarto.doc.is_format("html")
end

local function raw_html_to_blocks(el)
  if el.format ~= "html" or is_html() then
    return nil
  end
  return pandoc.read(el.text, "html").blocks
end

local function len(text)
  return utf8.len(text) or #text
end

local ZWSP = utf8.char(0x200B) -- a break opportunity Typst honours, invisible on the page
local BREAK_AFTER = { ["/"] = true, ["_"] = true, [";"] = true, ["-"] = true, ["."] = true }

-- A word too long for any column (a file path, a list of ids without spaces) gets break
-- opportunities after its separators, or every MAX_WORD characters if it has none.
local function breakable(el)
  if len(el.text) <= MAX_WORD then
    return nil
  end
  local out, run = {}, 0
  for _, code in utf8.codes(el.text) do
    local ch = utf8.char(code)
    out[#out + 1] = ch
    run = run + 1
    if BREAK_AFTER[ch] or run >= MAX_WORD then
      out[#out + 1] = ZWSP
      run = 0
    end
  end
  return pandoc.Str(table.concat(out))
end

local function longest_word(text)
  local n = 0
  for word in text:gsub(ZWSP, " "):gmatch("%S+") do
    n = math.max(n, len(word))
  end
  return n
end

-- For each column: the longest word (it cannot be broken) and the longest cell text.
local function measure(rows, cols, header)
  for _, row in ipairs(rows) do
    local col = 1
    for _, cell in ipairs(row.cells) do
      local text = pandoc.utils.stringify(cell.contents)
      if cell.col_span == 1 and cols[col] ~= nil then
        cols[col].word = math.max(cols[col].word, longest_word(text))
        if not header then -- a header wraps at its spaces; a body cell is measured whole
          cols[col].want = math.max(cols[col].want, len((text:gsub(ZWSP, ""))))
        end
      end
      col = col + cell.col_span
    end
  end
end

-- Every column gets its longest word; the room left goes to the columns with more text.
local function table_widths(tbl)
  if is_html() then
    return nil
  end
  local cols, first = {}, tbl.colspecs[1] and tbl.colspecs[1][2]
  for i, spec in ipairs(tbl.colspecs) do
    -- Widths set by the author are kept; equal ones are what a pipe table with plain "---"
    -- separators gets, which is no choice at all.
    if spec[2] ~= nil and spec[2] ~= 0 and math.abs(spec[2] - (first or 0)) > 1e-6 then
      return nil
    end
    cols[i] = { word = 0, want = 0 }
  end
  tbl = tbl:walk({ Str = breakable })
  measure(tbl.head.rows, cols, true)
  for _, body in ipairs(tbl.bodies) do
    measure(body.head, cols, true)
    measure(body.body, cols, false)
  end
  local room = LINE_CHARS - 2 * #cols -- each cell's inset takes about two characters
  local base, extra = 0, 0
  for _, c in ipairs(cols) do
    c.min = math.min(math.max(c.word, 3), MAX_WORD) + 1
    c.want = math.max(math.min(c.want, MAX_WANT), c.min)
    base = base + c.min
    extra = extra + (c.want - c.min)
  end
  local spare = math.max(room - base, 0)
  local total = 0
  for _, c in ipairs(cols) do
    c.width = c.min + (extra > 0 and spare * (c.want - c.min) / extra or 0)
    total = total + c.width
  end
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { spec[1], cols[i].width / total }
  end
  return tbl
end

return {
  { RawBlock = raw_html_to_blocks },
  { Table = table_widths },
}
