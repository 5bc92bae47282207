"""Use cases: one public function per user action, each one transaction."""
