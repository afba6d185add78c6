"""Teams app manifest: templates, icons and the package builder (manifest.build)."""
