# Reference values for tests/stats/test_stats.cpp, computed independently with R 4.2.2 and its
# survival package (Debian r-base-core, r-cran-survival): Rscript tests/stats/reference.R
options(digits = 12)
x  <- c(0.12, 0.35, 0.41, 0.58, 0.66, 0.72, 0.81, 0.95, 1.10, 1.32, 1.45, 1.61, 1.80, 2.05, 0.27, 0.50)
y  <- c(2.90, 2.80, 2.70, 2.75, 2.50, 2.60, 2.20, 1.90, 1.70, 1.50, 1.60, 1.10, 1.00, 0.80, 3.00, 2.65)
z  <- c(55, 61, 48, 70, 66, 52, 75, 80, 58, 69, 90, 72, 85, 77, 50, 63)
yt <- c(2.90, 2.80, 2.70, 2.70, 2.50, 2.60, 2.20, 1.90, 1.70, 1.50, 1.60, 1.10, 1.00, 0.80, 3.00, 2.60)  # ties
cat("pearson", unlist(cor.test(x, y)[c("estimate", "statistic", "p.value")]), cor.test(x, y)$conf.int, "\n")
s <- suppressWarnings(cor.test(x, yt, method = "spearman", exact = FALSE))
cat("spearman_ties", s$estimate, s$p.value, "\n")
p <- c(0.01, 0.04, 0.03, 0.20, 0.001, 0.5, 0.049)
cat("bh", p.adjust(p, "BH"), "\n")
sw <- shapiro.test(y); cat("shapiro16", sw$statistic, sw$p.value, "\n")
sw <- shapiro.test(y[1:8]); cat("shapiro8", sw$statistic, sw$p.value, "\n")
sw <- shapiro.test(c(z, 120, 130, 41)); cat("shapiro19", sw$statistic, sw$p.value, "\n")
a <- y[1:8]; b <- y[9:16]
tw <- t.test(a, b); cat("welch", tw$statistic, tw$parameter, tw$p.value, tw$conf.int, "\n")
ts <- t.test(a, b, var.equal = TRUE); cat("student", ts$statistic, ts$parameter, ts$p.value, ts$conf.int, "\n")
tp <- t.test(x[1:8], x[9:16], paired = TRUE); cat("paired_t", tp$statistic, tp$p.value, tp$conf.int, "\n")
w <- wilcox.test(yt[1:8], yt[9:16], exact = FALSE); cat("ranksum", w$statistic, w$p.value, "\n")
w <- wilcox.test(yt[1:8], yt[9:16], paired = TRUE, exact = FALSE); cat("signedrank", w$statistic, w$p.value, "\n")
m <- matrix(c(12, 5, 7, 16), 2, byrow = TRUE)
cat("chisq_yates", chisq.test(m)$statistic, chisq.test(m)$p.value, "\n")
cat("chisq_plain", chisq.test(m, correct = FALSE)$statistic, chisq.test(m, correct = FALSE)$p.value, "\n")
m3 <- matrix(c(10, 20, 30, 25, 15, 12), 2, byrow = TRUE)
cat("chisq_2x3", chisq.test(m3)$statistic, chisq.test(m3)$p.value, "\n")
cat("fisher", fisher.test(m)$p.value, fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value, "\n")
cat("mcnemar", mcnemar.test(matrix(c(20, 9, 3, 18), 2))$statistic, mcnemar.test(matrix(c(20, 9, 3, 18), 2))$p.value, "\n")
f1 <- summary(lm(y ~ x)); cat("lm1", f1$coefficients, confint(lm(y ~ x)), f1$r.squared, f1$adj.r.squared, f1$fstatistic, "\n")
f2 <- summary(lm(y ~ x + z)); cat("lm2", f2$coefficients, confint(lm(y ~ x + z)), f2$r.squared, f2$adj.r.squared, f2$sigma, "\n")
# Piecewise: the same grid as the C++ search (step 0.005 inside 10% margins), brute force.
lo <- min(x); hi <- max(x); mg <- 0.1 * (hi - lo); steps <- floor((hi - lo - 2 * mg) / 0.005 + 1e-9)
cs <- lo + mg + (0:steps) * 0.005
sse <- sapply(cs, function(c) sum(resid(lm(y ~ x + pmax(0, x - c)))^2))
k <- which.min(sse); best <- lm(y ~ x + pmax(0, x - cs[k]))
lim <- sse[k] * (1 + qf(0.95, 1, length(x) - 4) / (length(x) - 4))
a <- k; while (a > 1 && sse[a - 1] <= lim) a <- a - 1
b <- k; while (b < length(cs) && sse[b + 1] <= lim) b <- b + 1
cat("piecewise", cs[k], coef(best), sse[k], cs[a], cs[b], "\n")
library(survival)
time  <- c(2, 3, 3, 5, 6, 7, 8, 8, 10, 12, 14, 15, 17, 20, 22, 25, 28, 28, 28, 28)
event <- c(1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0)
grp   <- c(1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0)
lac   <- c(6.1, 5.0, 2.2, 4.8, 3.9, 2.5, 4.4, 3.0, 3.6, 1.8, 2.9, 3.3, 1.5, 2.4, 2.0, 2.8, 1.2, 1.9, 1.4, 1.1)
km <- survfit(Surv(time, event) ~ 1)
cat("km_time", km$time, "\n"); cat("km_surv", km$surv, "\n"); cat("km_se", summary(km, censored = TRUE)$std.err, "\n")
cat("km_lower", km$lower, "\n"); cat("km_upper", km$upper, "\n")
lr <- survdiff(Surv(time, event) ~ grp); cat("logrank", lr$chisq, 1 - pchisq(lr$chisq, 1), lr$obs, lr$exp, "\n")
grp3 <- c(0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1)
lr3 <- survdiff(Surv(time, event) ~ grp3); cat("logrank3", lr3$chisq, 1 - pchisq(lr3$chisq, 2), "\n")
cx <- coxph(Surv(time, event) ~ grp + lac)  # Efron ties (R's default)
s <- summary(cx)
cat("cox", coef(cx), sqrt(diag(vcov(cx))), s$coefficients[, "Pr(>|z|)"], s$conf.int[, "lower .95"], s$conf.int[, "upper .95"], cx$loglik, s$logtest["test"], "\n")
# Paired statistics (issue 25), in R 4.2.2 + survival 3.5-3 (Debian r-base-core, r-cran-survival).
# Newcombe's method 10 (Newcombe 1998, Stat Med 17:2635): Wilson limits of the two marginal
# proportions combined with the phi correction; written out here because the packages that carry
# it (biostatUZH, PropCIs) are not in Debian. Cells: a both arms, b arm 1 only, c arm 0 only, d neither.
wilson <- function(x, n, z) {
  p <- x / n; centre <- (2 * n * p + z^2) / (2 * (n + z^2))
  half <- z * sqrt(z^2 + 4 * n * p * (1 - p)) / (2 * (n + z^2)); c(centre - half, centre + half)
}
newcombe10 <- function(a, b, c, d) {
  n <- a + b + c + d; z <- qnorm(0.975); p1 <- (a + b) / n; p2 <- (a + c) / n
  w1 <- wilson(a + b, n, z); w2 <- wilson(a + c, n, z)
  den <- (a + b) * (c + d) * (a + c) * (b + d)
  phi <- if (den == 0) 0 else (a * d - b * c) / sqrt(den)
  if (a * d - b * c > 0) phi <- max(a * d - b * c - n / 2, 0) / sqrt(den)
  dl <- sqrt((p1 - w1[1])^2 - 2 * phi * (p1 - w1[1]) * (w2[2] - p2) + (w2[2] - p2)^2)
  du <- sqrt((w1[2] - p1)^2 - 2 * phi * (w1[2] - p1) * (p2 - w2[1]) + (p2 - w2[1])^2)
  c(p1 - p2, p1 - p2 - dl, p1 - p2 + du)
}
for (k in list(c(10, 15, 5, 20), c(3, 9, 2, 36), c(0, 4, 1, 45), c(20, 0, 0, 30)))
  cat("newcombe10", k, newcombe10(k[1], k[2], k[3], k[4]), "\n")
tp <- c(5, 9, 28, 3, 12, 7, 28, 28, 2, 4, 15, 28, 6, 6.5, 20, 11)
ep <- c(1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1)
arm <- c(1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0)
pair <- rep(1:8, each = 2)
cp <- coxph(Surv(tp, ep) ~ arm + strata(pair))
cat("cox_pairs", coef(cp), sqrt(diag(vcov(cp))), cp$loglik, "\n")
cat("cox_pairs_flat", coef(coxph(Surv(tp, ep) ~ arm)), "\n")
t3 <- c(2, 4, 4, 3, 8, 10, 5, 5, 9, 1, 6, 7); e3 <- c(1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1)
x3 <- c(1.2, 0.4, 0.9, 2.0, 0.1, 0.7, 1.5, 0.3, 0.2, 1.8, 1.1, 0.6); s3 <- rep(1:4, each = 3)
c3 <- coxph(Surv(t3, e3) ~ x3 + strata(s3))  # Efron ties
cat("cox_strata3", coef(c3), sqrt(diag(vcov(c3))), c3$loglik, "\n")
# Hodges-Lehmann paired shift: the median of the Walsh averages, and the distribution-free
# interval between their order statistics C and M + 1 - C, C = round(n(n+1)/4 - 1.96 sd) (Hollander,
# Wolfe & Chicken 2014, 3.2; the order docs/trials.md states); wilcox.test(conf.int = TRUE) is not
# used because with tied differences it inverts a normal approximation numerically instead.
ha <- c(0.31, 0.42, 0.18, 0.55, 0.27, 0.39, 0.61, 0.22, 0.35, 0.48)
hb <- c(0.36, 0.40, 0.25, 0.60, 0.33, 0.38, 0.70, 0.21, 0.41, 0.52)
dd <- ha - hb; nn <- length(dd); wa <- outer(dd, dd, "+") / 2; wa <- sort(wa[lower.tri(wa, diag = TRUE)])
C <- round(nn * (nn + 1) / 4 - qnorm(0.975) * sqrt(nn * (nn + 1) * (2 * nn + 1) / 24))
cat("hodges_lehmann", median(wa), wa[C], wa[length(wa) + 1 - C], "\n")
