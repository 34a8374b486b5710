"""Diffusion score estimation on data lying in a low-dimensional subspace.

Public pieces: :mod:`theorylab.diffusion.model` (data x = A z, the OU forward process, the exact
score), :mod:`theorylab.diffusion.networks` (the structured score network and a plain MLP),
:mod:`theorylab.diffusion.training` (denoising score matching), :mod:`theorylab.diffusion.sampling`
(exponential integrator, probability-flow ODE, Euler-Maruyama), :mod:`theorylab.diffusion.metrics`.
The claims live in :mod:`theorylab.diffusion.claims`.
"""
