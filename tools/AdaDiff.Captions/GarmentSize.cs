namespace AdaDiff.Captions;

/// <summary>How much of the frame the garment covers (<see cref="ImageAttributes.Coverage"/>), in training-set terciles.</summary>
public enum GarmentSize
{
    /// <summary>"small": the lowest third.</summary>
    Small,

    /// <summary>"medium": the middle third.</summary>
    Medium,

    /// <summary>"large": the highest third.</summary>
    Large,
}
