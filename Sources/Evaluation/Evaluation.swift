// Evaluation modes of the seed (eval, eval_many), figures and metrics.
