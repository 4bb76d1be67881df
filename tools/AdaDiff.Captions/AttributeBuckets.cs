namespace AdaDiff.Captions;

/// <summary>The words an image's attributes fall into, one per attribute (<see cref="AttributeThresholds.Classify"/>).</summary>
/// <param name="Brightness">Dark, grey or bright.</param>
/// <param name="Size">Small, medium or large.</param>
/// <param name="Aspect">Tall, square or wide.</param>
/// <param name="Texture">Plain or textured.</param>
public readonly record struct AttributeBuckets(Brightness Brightness, GarmentSize Size, Aspect Aspect, Texture Texture);
