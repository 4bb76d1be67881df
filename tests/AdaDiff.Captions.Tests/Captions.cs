using AdaDiff.Captions;

namespace AdaDiff.Captions.Tests;

/// <summary>Every content a caption can say and every template and phrase that can say it.</summary>
internal static class Captions
{
    public static CaptionGenerator Generator { get; } = new(TrainingSet.ClassNames);

    /// <summary>Every (template, content, phrase, order) the generator accepts: all classes (and none) × every subset of attribute values.</summary>
    public static IEnumerable<Caption> Every()
    {
        int?[] classes = [null, .. Enumerable.Range(0, Generator.Classes.Count).Select(c => (int?)c)];
        Brightness?[] brightness = [null, .. Enum.GetValues<Brightness>().Select(v => (Brightness?)v)];
        GarmentSize?[] sizes = [null, .. Enum.GetValues<GarmentSize>().Select(v => (GarmentSize?)v)];
        Aspect?[] aspects = [null, .. Enum.GetValues<Aspect>().Select(v => (Aspect?)v)];
        Texture?[] textures = [null, .. Enum.GetValues<Texture>().Select(v => (Texture?)v)];
        foreach (int? c in classes)
        {
            foreach (Brightness? b in brightness)
            {
                foreach (GarmentSize? s in sizes)
                {
                    foreach (Aspect? a in aspects)
                    {
                        foreach (Texture? t in textures)
                        {
                            var content = new PromptContent(c, b, s, a, t);
                            int phrases = c is int k ? Generator.Classes.Of(k).Count : 1;
                            foreach (CaptionTemplate template in Enum.GetValues<CaptionTemplate>())
                            {
                                if (!CaptionGenerator.Fits(template, content))
                                {
                                    continue;
                                }
                                int orders = CaptionGenerator.IsList(template) ? CaptionGenerator.Orders(content.AttributeCount) : 1;
                                for (int p = 0; p < phrases; p++)
                                {
                                    for (int o = 0; o < orders; o++)
                                    {
                                        yield return Generator.Render(template, content, p, o);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
