namespace AdaDiff.Tools;

/// <summary>
/// What conditions the images of a training step: each row's condition values (one class label, or a prompt's token
/// ids) and the value that makes a row unconditional (the null class, or [PAD] everywhere), which the step's
/// condition dropout puts in its dropped rows (<see cref="NoisedBatch.Draw"/>) for classifier-free guidance.
/// </summary>
internal interface ITrainingConditions
{
    /// <summary>The shape of one row's condition: [] for a class label (the batch is [B]), [M] for token ids ([B, M]).</summary>
    long[] RowShape { get; }

    /// <summary>Values per row: 1, or M.</summary>
    int Width { get; }

    /// <summary>The value of every entry of an unconditional row.</summary>
    long NullValue { get; }

    /// <summary>
    /// Writes the conditions of the images <paramref name="imageIndices"/> (their indices in the training split) with
    /// labels <paramref name="labels"/>, seen in epoch <paramref name="epoch"/>, into <paramref name="rows"/>
    /// (<see cref="Width"/> values a row). Depends on its arguments only, so a resumed run writes what an uninterrupted one did.
    /// </summary>
    void Fill(long epoch, ReadOnlySpan<int> imageIndices, ReadOnlySpan<long> labels, Span<long> rows);
}
