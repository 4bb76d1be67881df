namespace AdaDiff.Captions;

/// <summary>How bright the garment's ink is (<see cref="ImageAttributes.Brightness"/>), in training-set terciles.</summary>
public enum Brightness
{
    /// <summary>"dark": the lowest third.</summary>
    Dark,

    /// <summary>"grey": the middle third.</summary>
    Grey,

    /// <summary>"bright": the highest third.</summary>
    Bright,
}
