"""The cleaning steps: raw figures in, validated processed tables out (as known on a date)."""
