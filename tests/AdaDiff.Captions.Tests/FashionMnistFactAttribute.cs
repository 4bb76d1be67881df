using AdaDiff.Captions;

namespace AdaDiff.Captions.Tests;

/// <summary>A test on the real Fashion-MNIST training split: skipped, saying why, where the dataset is not installed.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!FashionMnistImages.IsPresent())
        {
            Skip = $"Fashion-MNIST training split not found in {FashionMnistImages.DefaultDirectory} (apt-get install dataset-fashion-mnist; scripts/setup.sh does)";
        }
    }
}
