#!/usr/bin/env python3
"""Independent reference for FedSim's RDP accountant at large epsilon (SampledGaussianReferenceTests).

It evaluates the definition, not a series: the Renyi divergence of the Poisson-subsampled Gaussian mechanism
(Mironov, Talwar and Zhang 2019) at order a is log(A_a)/(a - 1), with

    A_a = integral over x of N(x; 0, s^2) * ((1 - q) + q * exp((2x - 1) / (2 s^2)))^a dx,

integrated here by tanh-sinh quadrature at 40 significant digits (mpmath), split where the integrand has its
mass (around 0, where the two Gaussians' ratio crosses, and around a). The RDP of T steps is T times that, and
(epsilon, delta) comes from Balle et al. 2020, Theorem 21, minimized over Opacus' default orders with
dp_accounting's two guards (epsilon = 0 when delta >= sqrt(1 - exp(-rdp)); orders <= 1.01 only through that).

Only mpmath is needed (python3 -m pip install mpmath). Rerun from the repository root with
    python3 tests/FedSim.Tests/Privacy/Reference/sampled_gaussian_rdp.py
(about five minutes of CPU time); it prints the vectors that the test class holds as constants.
"""
import mpmath as mp

mp.mp.dps = 40

# Opacus' RDPAccountant.DEFAULT_ALPHAS, built from the same double operations as FedSim's RdpOrders.Default.
ORDERS = [1 + x / 10.0 for x in range(1, 100)] + [float(x) for x in range(12, 64)]

# (q, noise multiplier, steps, delta): sampling rates of 0.1 and above, epsilon from about 40 to 1,000.
EPSILON_CASES = [
    (0.1, 1.0, 2000, 1e-5),
    (0.1, 0.7, 1000, 1e-5),
    (0.2, 0.5, 100, 1e-5),
    (0.5, 0.4, 50, 1e-5),
    (0.1, 1.0, 10000, 1e-6),
    (0.1, 0.4, 1000, 1e-5),
    (0.3, 0.8, 2000, 1e-5),
    (0.2, 0.3, 300, 1e-5),
    (0.5, 0.5, 1000, 1e-5),
]

# (q, noise multiplier, order): one step's RDP where the fractional series converges slowly.
RDP_CASES = [(0.1, 0.4, 1.1), (0.1, 0.4, 1.6), (0.5, 0.4, 1.5), (0.2, 0.5, 2.5), (0.3, 0.8, 1.8), (0.9, 0.3, 3.3)]


def log_moment(q, sigma, order):
    """log A_a by quadrature, checked against its own error estimate."""
    q, sigma, order = mp.mpf(q), mp.mpf(sigma), mp.mpf(order)
    two_s2 = 2 * sigma * sigma
    norm = 1 / (sigma * mp.sqrt(2 * mp.pi))

    def integrand(x):
        return norm * mp.exp(-x * x / two_s2) * ((1 - q) + q * mp.exp((2 * x - 1) / two_s2)) ** order

    crossing = sigma * sigma * mp.log(1 / q - 1) + mp.mpf(1) / 2 if q < 1 else mp.mpf(0)
    points = sorted({-mp.inf, -14 * sigma, mp.mpf(0), mp.mpf(1) / 2, crossing, order, order + 14 * sigma, mp.inf})
    value, error = mp.quad(integrand, points, error=True)
    if not error < value * mp.mpf(10) ** -25:
        raise RuntimeError(f"quadrature did not converge for q={q}, sigma={sigma}, order={order}: {error} vs {value}")
    return mp.log(value)


def rdp_one_step(q, sigma, order):
    return log_moment(q, sigma, order) / (mp.mpf(order) - 1)


def epsilon(q, sigma, steps, delta):
    delta = mp.mpf(delta)
    best, best_order = mp.inf, None
    for order in ORDERS:
        rdp = steps * rdp_one_step(q, sigma, order)
        if delta * delta + mp.expm1(-rdp) > 0:
            eps = mp.mpf(0)
        elif order <= 1.01:
            eps = mp.inf
        else:
            a = mp.mpf(order)
            eps = rdp + mp.log1p(-1 / a) - mp.log(delta * a) / (a - 1)
        if eps < best:
            best, best_order = eps, order
    return best, best_order


def main():
    print("// (q, noise multiplier, steps, delta, epsilon, best order)")
    for q, sigma, steps, delta in EPSILON_CASES:
        eps, order = epsilon(q, sigma, steps, delta)
        print(f"[InlineData({q!r}, {sigma!r}, {steps}, {delta!r}, {mp.nstr(eps, 17)}, {order!r})]", flush=True)
    print("// (q, noise multiplier, order, RDP of one step)")
    for q, sigma, order in RDP_CASES:
        print(f"[InlineData({q!r}, {sigma!r}, {order!r}, {mp.nstr(rdp_one_step(q, sigma, order), 17)})]", flush=True)


if __name__ == "__main__":
    main()
