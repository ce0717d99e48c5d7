"""scheduler-service: cron jobs that publish a target event with a payload when due."""
