"""pandera schemas and the editable definition files (TOML) of the pipeline."""
