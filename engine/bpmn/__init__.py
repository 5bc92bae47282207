"""The only SpiffWorkflow importer: parsing and validation, the sandbox, running."""
