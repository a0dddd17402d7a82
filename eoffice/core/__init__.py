"""Infrastructure that knows no domain: database base, errors, signals, storage, jobs, time, tenancy."""
