namespace AdaDiff.Captions;

/// <summary>The shape of the garment's bounding box (<see cref="ImageAttributes.Aspect"/>, width over height), in training-set terciles.</summary>
public enum Aspect
{
    /// <summary>"tall": the lowest third of width-to-height ratios.</summary>
    Tall,

    /// <summary>"square": the middle third.</summary>
    Square,

    /// <summary>"wide": the highest third.</summary>
    Wide,
}
