using AdaDiff.Captions;

namespace AdaDiff.Evaluation.Text;

/// <summary>What a prompt can name: the class, or one of the four attributes (<see cref="PromptContent"/>'s slots).</summary>
public enum PromptSlot
{
    /// <summary>The garment's class, measured on an image by the evaluation classifier.</summary>
    Class,

    /// <summary>Dark, grey or bright.</summary>
    Brightness,

    /// <summary>Small, medium or large.</summary>
    Size,

    /// <summary>Tall, square or wide.</summary>
    Aspect,

    /// <summary>Plain or textured.</summary>
    Texture,
}

/// <summary>Reading a slot out of a prompt's content or an image's measurement.</summary>
internal static class PromptSlots
{
    /// <summary>Every slot, in report order.</summary>
    public static IReadOnlyList<PromptSlot> All { get; } = Enum.GetValues<PromptSlot>();

    /// <summary>Values a slot takes: the classifier's classes, or the attribute's buckets.</summary>
    public static int Values(PromptSlot slot, int classes) => slot switch
    {
        PromptSlot.Class => classes,
        PromptSlot.Texture => 2,
        _ => 3,
    };

    /// <summary>The value <paramref name="content"/> names in <paramref name="slot"/>, or null.</summary>
    public static int? Named(PromptContent content, PromptSlot slot) => slot switch
    {
        PromptSlot.Class => content.ClassIndex,
        PromptSlot.Brightness => (int?)content.Brightness,
        PromptSlot.Size => (int?)content.Size,
        PromptSlot.Aspect => (int?)content.Aspect,
        PromptSlot.Texture => (int?)content.Texture,
        _ => throw new ArgumentOutOfRangeException(nameof(slot), slot, null),
    };

    /// <summary>The value an image measures in <paramref name="slot"/>: its predicted class, or its attribute's bucket.</summary>
    public static int Measured(int predictedClass, AttributeBuckets buckets, PromptSlot slot) => slot switch
    {
        PromptSlot.Class => predictedClass,
        PromptSlot.Brightness => (int)buckets.Brightness,
        PromptSlot.Size => (int)buckets.Size,
        PromptSlot.Aspect => (int)buckets.Aspect,
        PromptSlot.Texture => (int)buckets.Texture,
        _ => throw new ArgumentOutOfRangeException(nameof(slot), slot, null),
    };

    /// <summary>Lower-case name for tables and JSON.</summary>
    public static string Name(PromptSlot slot) => slot.ToString().ToLowerInvariant();
}
