"""The build: parameters, declared steps run by papermill, rendering and publishing."""
