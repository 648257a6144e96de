"""The shipped question banks, one folder per exam (package data, so installed copies find them)."""
