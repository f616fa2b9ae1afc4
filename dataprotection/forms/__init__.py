"""Forms of the data-protection app, one module a part."""
