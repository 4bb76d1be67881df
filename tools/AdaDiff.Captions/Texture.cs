namespace AdaDiff.Captions;

/// <summary>How much fine detail the garment's inside has (<see cref="ImageAttributes.Texture"/>), split at the training-set median.</summary>
public enum Texture
{
    /// <summary>"plain": below the median.</summary>
    Plain,

    /// <summary>"textured": the median and above.</summary>
    Textured,
}
