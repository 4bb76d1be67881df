using System.Globalization;

namespace AdaDiff.Tools;

/// <summary>Parsed <c>--name value</c> options and <c>--flag</c> switches of one command.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> used = new(StringComparer.Ordinal);

    public CommandLine(string[] args, IReadOnlySet<string> flags)
    {
        for (int i = 0; i < args.Length; i++)
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
            else if (i + 1 < args.Length)
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

    public string Required(string name) => String(name) ?? throw new ArgumentException($"option --{name} is required");

    public int Int(string name, int fallback)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ArgumentException($"--{name}: '{text}' is not an integer");
    }

    public double Double(string name, double fallback)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new ArgumentException($"--{name}: '{text}' is not a number");
    }

    /// <summary>Throws for options the command did not read (typos).</summary>
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
