// Training: optimizer schedules, the train loop, checkpoints and resume.
