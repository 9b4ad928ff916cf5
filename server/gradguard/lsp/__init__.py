"""The language server: adapts the analysis core to LSP (diagnostics, hover, code actions, notebooks)."""
