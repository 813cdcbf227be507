#!/usr/bin/env python3
"""Reference values for the paired statistics of tests/stats/test_stats.cpp (issue 25).

R is not installed on the build machine (`which Rscript` finds nothing), so these values are
computed by a second, independent route in plain Python 3 (no numpy/scipy), written from the
papers and not from the C++ code:
- Newcombe's paired risk difference (1998, Stat Med 17:2635, method 10): the Wilson limits are
  the roots of the quadratic (p - pi)^2 = z^2 pi (1 - pi) / n (the C++ uses the closed centre +-
  half-width form);
- the stratified Cox model: the Efron log partial likelihood evaluated by its definition, stratum
  by stratum, maximised by Newton's method on numerical derivatives (the C++ uses analytic score
  and information); the SE from the numerical second derivative;
- the Hodges-Lehmann paired estimate: brute force over the Walsh averages.
The R calls that would give the same numbers are in tests/stats/reference.R (commented).
Run: python3 tests/stats/reference_paired.py
"""
import math
from statistics import NormalDist

Z = NormalDist().inv_cdf(0.975)


def wilson_roots(k, n):
    p = k / n
    # (1 + z^2/n) pi^2 - (2p + z^2/n) pi + p^2 = 0
    a = 1 + Z * Z / n
    b = -(2 * p + Z * Z / n)
    c = p * p
    disc = math.sqrt(max(0.0, b * b - 4 * a * c))
    return (-b - disc) / (2 * a), (-b + disc) / (2 * a)


def newcombe_paired(a, b, c, d):
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson_roots(a + b, n)
    l2, u2 = wilson_roots(a + c, n)
    prod = (a + b) * (c + d) * (a + c) * (b + d)
    num = a * d - b * c
    if num > n / 2:
        num -= n / 2
    elif num >= 0:
        num = 0
    phi = num / math.sqrt(prod) if prod > 0 else 0.0
    dl1, du2, dl2, du1 = p1 - l1, u2 - p2, p2 - l2, u1 - p1
    lo = (p1 - p2) - math.sqrt(dl1 ** 2 - 2 * phi * dl1 * du2 + du2 ** 2)
    hi = (p1 - p2) + math.sqrt(dl2 ** 2 - 2 * phi * dl2 * du1 + du1 ** 2)
    return p1 - p2, lo, hi


def efron_loglik(beta, time, event, x, strata):
    ll = 0.0
    for s in sorted(set(strata)):
        idx = [i for i in range(len(time)) if strata[i] == s]
        for t in sorted(set(time[i] for i in idx if event[i])):
            dead = [i for i in idx if time[i] == t and event[i]]
            risk = [i for i in idx if time[i] >= t]
            r0 = sum(math.exp(beta * x[i]) for i in risk)
            d0 = sum(math.exp(beta * x[i]) for i in dead)
            m = len(dead)
            ll += sum(beta * x[i] for i in dead)
            for l in range(m):
                ll -= math.log(r0 - l / m * d0)
    return ll


def cox_fit(time, event, x, strata):
    beta, h = 0.0, 1e-4
    f = lambda b: efron_loglik(b, time, event, x, strata)
    for _ in range(100):
        g = (f(beta + h) - f(beta - h)) / (2 * h)
        H = (f(beta + h) - 2 * f(beta) + f(beta - h)) / (h * h)
        step = -g / H
        beta += step
        if abs(step) < 1e-13:
            break
    # SE from a Richardson-extrapolated second derivative
    def d2(hh):
        return (f(beta + hh) - 2 * f(beta) + f(beta - hh)) / (hh * hh)
    H = (4 * d2(5e-4) - d2(1e-3)) / 3
    return beta, math.sqrt(-1 / H), f(beta), f(0.0)


def hodges_lehmann(x, y):
    d = [a - b for a, b in zip(x, y)]
    n = len(d)
    w = sorted((d[i] + d[j]) / 2 for i in range(n) for j in range(i, n))
    m = len(w)
    est = w[m // 2] if m % 2 else (w[m // 2 - 1] + w[m // 2]) / 2
    c = round(n * (n + 1) / 4 - Z * math.sqrt(n * (n + 1) * (2 * n + 1) / 24))
    return est, w[c - 1], w[m - c]


if __name__ == "__main__":
    for table in [(10, 15, 5, 20), (3, 9, 2, 36), (0, 4, 1, 45), (20, 0, 0, 30)]:
        print("newcombe", table, "%.12g %.12g %.12g" % newcombe_paired(*table))
    # 6 pairs x 2 arms, no ties within pairs; binary arm covariate (pairs as strata).
    t = [5.0, 9.0, 28.0, 3.0, 12.0, 7.0, 28.0, 28.0, 2.0, 4.0, 15.0, 28.0, 6.0, 6.5, 20.0, 11.0]
    e = [1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1]
    arm = [1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0]
    pair = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]
    print("cox_pairs %.12g %.12g %.12g %.12g" % cox_fit(t, e, arm, pair))
    # Strata of 3 with a continuous covariate and a tied death time (Efron).
    t3 = [2, 4, 4, 3, 8, 10, 5, 5, 9, 1, 6, 7]
    e3 = [1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]
    x3 = [1.2, 0.4, 0.9, 2.0, 0.1, 0.7, 1.5, 0.3, 0.2, 1.8, 1.1, 0.6]
    s3 = [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    print("cox_strata3 %.12g %.12g %.12g %.12g" % cox_fit(t3, e3, x3, s3))
    a = [0.31, 0.42, 0.18, 0.55, 0.27, 0.39, 0.61, 0.22, 0.35, 0.48]
    b = [0.36, 0.40, 0.25, 0.60, 0.33, 0.38, 0.70, 0.21, 0.41, 0.52]
    print("hodges_lehmann %.12g %.12g %.12g" % hodges_lehmann(a, b))
