using AdaDiff.Evaluation.Internal;

namespace AdaDiff.Evaluation.Tests;

public class CurvesTests
{
    [Fact]
    public void Interpolate_BetweenAndOutsidePoints()
    {
        (double, double)[] points = [(7, 10), (13, 4), (8, 8)];

        Assert.Equal(9.0, Curves.Interpolate(points, 7.5)!.Value, 10);
        Assert.Equal(6.0, Curves.Interpolate(points, 10.5)!.Value, 10);
        Assert.Equal(4.0, Curves.Interpolate(points, 13)!.Value, 10);
        Assert.Null(Curves.Interpolate(points, 6.9));
    }
}
