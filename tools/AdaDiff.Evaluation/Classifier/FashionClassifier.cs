using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaDiff.Evaluation.Classifier;

/// <summary>
/// Small CNN for 28×28 grey Fashion-MNIST images in [-1, 1]:
/// conv3×3(1→32) → ReLU → pool → conv3×3(32→64) → ReLU → pool → Linear(3136→128) → ReLU (the features) → Linear(128→10).
/// The 128 penultimate activations are the features of the FID-proxy.
/// </summary>
public sealed class FashionClassifier : nn.Module<Tensor, Tensor>
{
    /// <summary>Width of the feature vector.</summary>
    public const int FeatureDim = 128;

    /// <summary>Number of classes.</summary>
    public const int Classes = 10;

    /// <summary>
    /// The names of the classes in label order, as Fashion-MNIST names them (and as the class model's manifest and the
    /// text model's captions do): what a prompt's class phrase is read against.
    /// </summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Image side in pixels.</summary>
    public const int Side = 28;

    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Dropout dropout;
    private readonly Linear fc2;

    /// <summary>Creates the network with TorchSharp's default initialisation (seed it with <c>manual_seed</c>).</summary>
    public FashionClassifier() : base(nameof(FashionClassifier))
    {
        conv1 = nn.Conv2d(1, 32, 3, padding: 1);
        conv2 = nn.Conv2d(32, 64, 3, padding: 1);
        fc1 = nn.Linear(64 * 7 * 7, FeatureDim);
        dropout = nn.Dropout(0.3);
        fc2 = nn.Linear(FeatureDim, Classes);
        RegisterComponents();
    }

    /// <summary>Penultimate features, [B, 128], of images [B, 1, 28, 28].</summary>
    public Tensor Features(Tensor images)
    {
        using var scope = NewDisposeScope();
        Tensor h = nn.functional.relu(conv1.forward(images));   // [B, 32, 28, 28]
        h = nn.functional.max_pool2d(h, 2);                     // [B, 32, 14, 14]
        h = nn.functional.relu(conv2.forward(h));               // [B, 64, 14, 14]
        h = nn.functional.max_pool2d(h, 2);                     // [B, 64, 7, 7]
        h = nn.functional.relu(fc1.forward(h.flatten(1)));      // [B, 128]
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>Class logits, [B, 10], from features [B, 128] (dropout in training mode).</summary>
    public Tensor Logits(Tensor features) => fc2.forward(dropout.forward(features)); // [B, 10]

    /// <summary>Class logits, [B, 10], of images [B, 1, 28, 28].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor h = Features(input);                             // [B, 128]
        return Logits(h).MoveToOuterDisposeScope();             // [B, 10]
    }
}
