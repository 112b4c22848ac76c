using System.Globalization;

namespace FedSim.Privacy.Accounting;

/// <summary>The Rényi orders at which RDP is tracked; ε is the best bound over them, so a finer grid is tighter.</summary>
public static class RdpOrders
{
    /// <summary>
    /// 1.1, 1.2, …, 10.9 and 12, 13, …, 63: Opacus' <c>RDPAccountant.DEFAULT_ALPHAS</c>
    /// (<c>[1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))</c>, opacus/accountants/rdp.py), the same
    /// grid dp_accounting's tests use. Built with the same floating-point operations, so the orders are the
    /// same doubles as Opacus' and the integer ones (2.0, 3.0, …) take the exact integer series.
    /// </summary>
    public static IReadOnlyList<double> Default { get; } =
        Enumerable.Range(1, 99).Select(x => 1 + x / 10.0).Concat(Enumerable.Range(12, 52).Select(x => (double)x)).ToArray();

    /// <summary>Parses a comma-separated list such as <c>2,3,4.5,64</c>; every order must be a finite number > 1.</summary>
    public static double[] Parse(string text)
    {
        var orders = new List<double>();
        foreach (string part in text.Split(','))
        {
            string item = part.Trim();
            if (!double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out double order) || !double.IsFinite(order))
                throw new PrivacyParameterException($"expected a comma-separated list of Rényi orders like 2,3,4.5,64; '{item}' is not a number");
            if (!(order > 1))
                throw new PrivacyParameterException($"every Rényi order must be > 1, got {item}");
            orders.Add(order);
        }
        return orders.ToArray();
    }
}
