"""Finding a person and everything misena knows about them: search by document, name or email,
and the person's page (Sofia record, the account as Google has it, deliveries, jobs, holds, audit).

Above the features it reads from, and read by the API, the CLI and the console alike."""
