"""The benchmark (`jiandu bench`, `jiandu bench-seed`): numbers and ratios, printed, never asserted."""
