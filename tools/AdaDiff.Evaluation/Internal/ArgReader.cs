using System.Globalization;

namespace AdaDiff.Evaluation.Internal;

/// <summary><c>--name value</c> options and <c>--flag</c> switches; unknown or unused options are errors.</summary>
internal sealed class ArgReader
{
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> used = new(StringComparer.Ordinal);

    public ArgReader(IReadOnlyList<string> args, IReadOnlySet<string> flags)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }
            string name = arg[2..];
            if (flags.Contains(name))
            {
                values[name] = null;
            }
            else if (i + 1 < args.Count)
            {
                values[name] = args[++i];
            }
            else
            {
                throw new ArgumentException($"option --{name} needs a value");
            }
        }
    }

    public bool Flag(string name)
    {
        used.Add(name);
        return values.ContainsKey(name);
    }

    public string? String(string name)
    {
        used.Add(name);
        return values.TryGetValue(name, out string? value) ? value : null;
    }

    public int Int(string name, int fallback, int min = int.MinValue)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            throw new ArgumentException($"--{name}: '{text}' is not an integer");
        }
        return value >= min ? value : throw new ArgumentException($"--{name}: must be at least {min}");
    }

    public double Double(string name, double fallback)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw new ArgumentException($"--{name}: '{text}' is not a number");
    }

    public float[]? Floats(string name)
    {
        string? text = String(name);
        if (text is null)
        {
            return null;
        }
        var list = new List<float>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            list.Add(float.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)
                ? value
                : throw new ArgumentException($"--{name}: '{part}' is not a number"));
        }
        return list.Count > 0 ? [.. list] : throw new ArgumentException($"--{name}: give at least one value");
    }

    /// <summary>Throws for options that were given but never read.</summary>
    public void EnsureAllUsed()
    {
        foreach (string name in values.Keys)
        {
            if (!used.Contains(name))
            {
                throw new ArgumentException($"unknown option --{name}");
            }
        }
    }
}
