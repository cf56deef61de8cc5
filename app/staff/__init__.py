"""IT staff: API tokens and scopes, the audit trail, the actions staff may take."""
