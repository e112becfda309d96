"""Built-in modules, one file per palette category; importing them registers them."""
