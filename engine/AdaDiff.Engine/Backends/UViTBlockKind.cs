namespace AdaDiff.Engine.Backends;

/// <summary>The three parts of the U-ViT's U.</summary>
public enum UViTBlockKind
{
    /// <summary>An in-block: pushes its output as a long skip.</summary>
    In,

    /// <summary>The mid-block.</summary>
    Mid,

    /// <summary>An out-block: pops a long skip and joins it to its input through skip_linear.</summary>
    Out,
}
