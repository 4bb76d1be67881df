using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace AdaDiff.Tools.Shared;

/// <summary>
/// The options of <c>adadiff-tools</c>' commands, on System.CommandLine: values parsed with the invariant culture and
/// range-checked, so that a bad value is an error naming its option (<c>--epochs: 'x' is not an integer</c>), and the
/// parse and invoke settings every command shares. An option given twice takes its last value, so a script can append an override to a base command line. Compiled into each tools assembly that defines commands (linked source).
/// </summary>
internal static class ToolsCommandLine
{
    /// <summary>
    /// A value option may be given more than once, one value each time (<c>--epochs 1 --epochs 3</c>, never
    /// <c>--epochs 1 3</c>); its parser takes the last.
    /// </summary>
    private static readonly ArgumentArity LastWins = ArgumentArity.OneOrMore;

    /// <summary>Exit code of a bad command line or bad option value.</summary>
    public const int BadArguments = 2;

    /// <summary>Parsing: no response files, so that an argument starting with '@' is taken as it is.</summary>
    public static ParserConfiguration Parser { get; } = new() { ResponseFileTokenReplacer = null };

    /// <summary>
    /// Invoking: exceptions reach the caller (which maps them to exit codes), and System.CommandLine leaves SIGTERM and
    /// Ctrl+C alone: long commands stop at a step boundary themselves and may take longer than its grace period.
    /// </summary>
    public static InvocationConfiguration Invocation(TextWriter stdout, TextWriter stderr) => new()
    {
        Output = stdout,
        Error = stderr,
        EnableDefaultExceptionHandler = false,
        ProcessTerminationTimeout = null,
    };

    /// <summary>
    /// Writes each parse error of <paramref name="parsed"/> after the command's name (<c>adadiff-tools train: …</c>)
    /// and where its options are told; returns whether there were any.
    /// </summary>
    public static bool ReportErrors(ParseResult parsed, TextWriter stderr)
    {
        string command = CommandPath(parsed.CommandResult);
        if (parsed.Errors.Count == 0)
        {
            return false;
        }
        foreach (ParseError error in parsed.Errors)
        {
            stderr.WriteLine($"{command}: {error.Message}");
        }
        stderr.WriteLine($"Run '{command} --help' for the options.");
        return true;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the options <paramref name="bind"/> reads from <paramref name="parsed"/>; an
    /// <see cref="ArgumentException"/> from <paramref name="bind"/> (values that do not go together) is written like a
    /// parse error and gives <see cref="BadArguments"/>.
    /// </summary>
    public static async Task<int> RunBound<T>(ParseResult parsed, TextWriter stderr, Func<ParseResult, T> bind, Func<T, Task<int>> action)
    {
        T options;
        try
        {
            options = bind(parsed);
        }
        catch (ArgumentException e)
        {
            string command = CommandPath(parsed.CommandResult);
            await stderr.WriteLineAsync($"{command}: {e.Message}\nRun '{command} --help' for the options.");
            return BadArguments;
        }
        return await action(options);
    }

    /// <summary>A text option; null when not given unless <paramref name="fallback"/> says otherwise.</summary>
    public static Option<string?> Text(string name, string description, string? fallback = null, string? helpName = null) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Arity = LastWins,
        DefaultValueFactory = _ => fallback,
        CustomParser = r => r.Tokens.Count == 0 ? fallback : r.Tokens[^1].Value,
    };

    /// <summary>A text option that must be given.</summary>
    public static Option<string> RequiredText(string name, string description, string? helpName = null) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Arity = LastWins,
        Required = true,
        CustomParser = r => r.Tokens[^1].Value,
    };

    /// <summary>A switch: true when given; it takes no value.</summary>
    public static Option<bool> Flag(string name, string description) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.Zero,
    };

    /// <summary>An integer option ≥ <paramref name="min"/>, <paramref name="fallback"/> when not given.</summary>
    public static Option<int> Int(string name, string description, int fallback, int min = int.MinValue) => new(name)
    {
        Description = description,
        HelpName = "N",
        Arity = LastWins,
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseInt(r, min) ?? fallback,
    };

    /// <summary>An integer option ≥ <paramref name="min"/>, null when not given.</summary>
    public static Option<int?> IntOrNull(string name, string description, int min = int.MinValue) => new(name)
    {
        Description = description,
        HelpName = "N",
        Arity = LastWins,
        CustomParser = r => ParseInt(r, min),
    };

    /// <summary>A finite number, <paramref name="fallback"/> when not given.</summary>
    public static Option<double> Number(string name, string description, double fallback) => new(name)
    {
        Description = description,
        HelpName = "X",
        Arity = LastWins,
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseNumber(r) ?? fallback,
    };

    /// <summary>A finite number, null when not given.</summary>
    public static Option<double?> NumberOrNull(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "X",
        Arity = LastWins,
        CustomParser = ParseNumber,
    };

    /// <summary>
    /// An option whose text <paramref name="parse"/> turns into a value; an <see cref="ArgumentException"/> it throws
    /// becomes the option's parse error.
    /// </summary>
    public static Option<T> Parsed<T>(string name, string description, Func<string, T> parse, T fallback, string? helpName = null) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Arity = LastWins,
        DefaultValueFactory = _ => fallback,
        CustomParser = r =>
        {
            try
            {
                return r.Tokens.Count == 0 ? fallback : parse(r.Tokens[^1].Value);
            }
            catch (ArgumentException e)
            {
                r.AddError(e.Message);
                return fallback;
            }
        },
    };

    /// <summary>A comma-separated list of finite numbers (at least one); an <see cref="ArgumentException"/> naming <paramref name="name"/> otherwise.</summary>
    public static float[] ParseNumbers(string name, string text)
    {
        var list = new List<float>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            list.Add(float.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)
                ? value
                : throw new ArgumentException($"{name}: '{part}' is not a number"));
        }
        return list.Count > 0 ? [.. list] : throw new ArgumentException($"{name}: give at least one value");
    }

    private static int? ParseInt(ArgumentResult r, int min)
    {
        if (r.Tokens.Count == 0)
        {
            return null;
        }
        string text = r.Tokens[^1].Value;
        string name = OptionName(r);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            r.AddError($"{name}: '{text}' is not an integer");
            return null;
        }
        if (value < min)
        {
            r.AddError(string.Create(CultureInfo.InvariantCulture, $"{name}: must be at least {min}"));
            return null;
        }
        return value;
    }

    private static double? ParseNumber(ArgumentResult r)
    {
        if (r.Tokens.Count == 0)
        {
            return null;
        }
        string text = r.Tokens[^1].Value;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
        {
            return value;
        }
        r.AddError($"{OptionName(r)}: '{text}' is not a number");
        return null;
    }

    private static string OptionName(ArgumentResult r) => r.Parent is OptionResult o ? o.Option.Name : "value";

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                names.Insert(0, c.Command is RootCommand ? "adadiff-tools" : c.Command.Name);
            }
        }
        return string.Join(' ', names);
    }
}
