"""What runs the features: the service container, the job worker, loop supervision, the schema gate."""
