using System.Globalization;

namespace AdaDiff.Tools.Shared;

/// <summary>
/// The <c>--name value</c> options and <c>--flag</c> switches of one command of <c>adadiff-tools</c>. Every value is
/// parsed with the invariant culture; an option given but never read is an error (<see cref="RejectUnknown"/>), so a
/// typo never passes silently. Compiled into each tools assembly that parses a command line (linked source).
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> used = new(StringComparer.Ordinal);

    /// <param name="args">The words after the command's name.</param>
    /// <param name="flags">Names (without <c>--</c>) that take no value.</param>
    public CommandLine(IReadOnlyList<string> args, IReadOnlySet<string> flags)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(flags);
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

    /// <summary>Whether the switch was given.</summary>
    public bool Flag(string name)
    {
        used.Add(name);
        return values.ContainsKey(name);
    }

    /// <summary>The option's text, or null when it was not given.</summary>
    public string? String(string name)
    {
        used.Add(name);
        return values.TryGetValue(name, out string? value) ? value : null;
    }

    /// <summary>The option's text; an error when it was not given.</summary>
    public string Required(string name) => String(name) ?? throw new ArgumentException($"option --{name} is required");

    /// <summary>The option as an integer ≥ <paramref name="min"/>, or <paramref name="fallback"/> when not given.</summary>
    public int Int(string name, int fallback, int min = int.MinValue) => IntOrNull(name, min) ?? fallback;

    /// <summary>The option as an integer ≥ <paramref name="min"/>, or null when not given.</summary>
    public int? IntOrNull(string name, int min = int.MinValue)
    {
        string? text = String(name);
        if (text is null)
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            throw new ArgumentException($"--{name}: '{text}' is not an integer");
        }
        return value >= min ? value : throw new ArgumentException($"--{name}: must be at least {min}");
    }

    /// <summary>The option as a finite number, or <paramref name="fallback"/> when not given.</summary>
    public double Double(string name, double fallback) => DoubleOrNull(name) ?? fallback;

    /// <summary>The option as a finite number, or null when not given.</summary>
    public double? DoubleOrNull(string name)
    {
        string? text = String(name);
        if (text is null)
        {
            return null;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw new ArgumentException($"--{name}: '{text}' is not a number");
    }

    /// <summary>The option as a comma-separated list of finite numbers (at least one), or null when not given.</summary>
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

    /// <summary>Throws for options that were given but never read (typos, options of another command).</summary>
    public void RejectUnknown()
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
