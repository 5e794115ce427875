"""The dashboard page: pure figures, the layout and thin Dash callbacks."""
