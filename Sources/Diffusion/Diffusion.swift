// Noise schedulers and the guided sampling loop.
