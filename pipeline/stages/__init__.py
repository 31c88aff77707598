"""Pipeline stages: each module has one entry function, data in and data out."""
