"""The dataflow engine: grad mode and training mode along each function's control flow."""
