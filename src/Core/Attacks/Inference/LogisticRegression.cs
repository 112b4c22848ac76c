using MathNet.Numerics.LinearAlgebra;

namespace FedSim.Attacks.Inference;

/// <summary>
/// Binary logistic regression fitted by Newton's method (iteratively reweighted least squares) from zero
/// weights, with an L2 penalty on the weights (not the intercept) and per-row weights. Features are
/// standardized with the training mean and standard deviation first, so the penalty treats them alike and
/// the Hessian stays well conditioned. No random draw anywhere: the same data give the same model, bit for
/// bit. Small on purpose: attack classifiers have a handful of features.
/// </summary>
public sealed class LogisticRegression
{
    private readonly double[] _mean;
    private readonly double[] _scale;
    private readonly double[] _weights; // standardized space
    private readonly double _intercept;

    private LogisticRegression(double[] mean, double[] scale, double[] weights, double intercept, int iterations)
    {
        _mean = mean;
        _scale = scale;
        _weights = weights;
        _intercept = intercept;
        Iterations = iterations;
    }

    public int Features => _weights.Length;

    /// <summary>Newton steps taken until the step size fell below tolerance.</summary>
    public int Iterations { get; }

    /// <summary>Weights on the original (unstandardized) features.</summary>
    public double[] Coefficients => _weights.Select((w, j) => w / _scale[j]).ToArray();

    /// <summary>Intercept on the original features.</summary>
    public double Intercept => _intercept - _weights.Select((w, j) => w * _mean[j] / _scale[j]).Sum();

    /// <summary>Log-odds of the positive class: higher = more likely positive; never saturates like the probability.</summary>
    public double LogOdds(ReadOnlySpan<double> features)
    {
        if (features.Length != Features) throw new ArgumentException($"logistic regression: {features.Length} features, model has {Features}");
        double s = _intercept;
        for (int j = 0; j < Features; j++) s += _weights[j] * (features[j] - _mean[j]) / _scale[j];
        return s;
    }

    /// <param name="rows">One feature vector per row.</param>
    /// <param name="labels">True for the positive class.</param>
    /// <param name="rowWeights">Optional weight per row (e.g. to balance classes); default 1.</param>
    /// <param name="l2">
    /// λ in the objective (weighted mean log-likelihood) − λ·½‖w‖² on the standardized weights; λ > 0 keeps
    /// separable data finite, λ = 0 is the plain maximum-likelihood fit.
    /// </param>
    public static LogisticRegression Fit(IReadOnlyList<double[]> rows, IReadOnlyList<bool> labels,
                                         IReadOnlyList<double>? rowWeights = null, double l2 = 1e-3,
                                         int maxIterations = 100, double tolerance = 1e-10)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows.Count == 0) throw new ArgumentException("logistic regression: no training rows");
        if (rows.Count != labels.Count) throw new ArgumentException($"logistic regression: {rows.Count} rows but {labels.Count} labels");
        if (rowWeights is not null && rowWeights.Count != rows.Count) throw new ArgumentException($"logistic regression: {rows.Count} rows but {rowWeights.Count} weights");
        if (!(l2 >= 0)) throw new ArgumentOutOfRangeException(nameof(l2), l2, "the L2 penalty must be ≥ 0");
        int n = rows.Count, d = rows[0].Length;
        for (int i = 0; i < n; i++)
        {
            if (rows[i].Length != d) throw new ArgumentException($"logistic regression: row {i} has {rows[i].Length} features, row 0 has {d}");
            foreach (double v in rows[i]) if (!double.IsFinite(v)) throw new ArgumentException($"logistic regression: row {i} has a non-finite feature ({v})");
        }

        double[] w8 = rowWeights?.ToArray() ?? Enumerable.Repeat(1.0, n).ToArray();
        double total = w8.Sum();
        if (!(total > 0) || w8.Any(w => !(w >= 0))) throw new ArgumentException("logistic regression: row weights must be ≥ 0 with a positive sum");

        // Weighted standardization; a constant feature keeps scale 1 (its weight is pinned at 0 by the penalty).
        var mean = new double[d];
        var scale = new double[d];
        for (int j = 0; j < d; j++)
        {
            double m = 0;
            for (int i = 0; i < n; i++) m += w8[i] * rows[i][j];
            m /= total;
            double v = 0;
            for (int i = 0; i < n; i++) v += w8[i] * (rows[i][j] - m) * (rows[i][j] - m);
            double sd = Math.Sqrt(v / total);
            mean[j] = m;
            scale[j] = sd > 1e-12 ? sd : 1.0;
        }

        // Design matrix with an intercept column 0.
        var x = Matrix<double>.Build.Dense(n, d + 1, (i, j) => j == 0 ? 1.0 : (rows[i][j - 1] - mean[j - 1]) / scale[j - 1]);
        var y = Vector<double>.Build.Dense(n, i => labels[i] ? 1.0 : 0.0);
        var beta = Vector<double>.Build.Dense(d + 1);
        var penalty = Matrix<double>.Build.DenseDiagonal(d + 1, d + 1, j => j == 0 ? 0.0 : l2 * total);

        int iteration = 0;
        for (; iteration < maxIterations; iteration++)
        {
            var eta = x * beta;
            var p = eta.Map(Sigmoid);
            var curvature = Vector<double>.Build.Dense(n, i => w8[i] * Math.Max(p[i] * (1 - p[i]), 1e-12));
            var gradient = x.TransposeThisAndMultiply((y - p).PointwiseMultiply(Vector<double>.Build.Dense(w8))) - penalty * beta;
            var weighted = Matrix<double>.Build.Dense(n, d + 1, (i, j) => x[i, j] * curvature[i]);
            var hessian = x.TransposeThisAndMultiply(weighted) + penalty;
            var step = hessian.Cholesky().Solve(gradient);
            beta += step;
            if (step.AbsoluteMaximum() < tolerance) { iteration++; break; }
        }
        return new LogisticRegression(mean, scale, beta.SubVector(1, d).ToArray(), beta[0], iteration);
    }

    private static double Sigmoid(double t) => t >= 0 ? 1 / (1 + Math.Exp(-t)) : Math.Exp(t) / (1 + Math.Exp(t));
}
