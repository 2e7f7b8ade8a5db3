"""A tiny Flower app the site-gate tests send straight to the SuperLink."""
