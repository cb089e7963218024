using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Xunit;
using Xunit.Sdk;

namespace HpcSgd.KernelCheck;

/// <summary>
/// Runs every test of HpcSgd.Tests whose class carries [Trait("Category", "Kernels")]: each [Fact], and each [Theory]
/// once per row of its [InlineData]/[MemberData]. Prints the failures and a count; exit code 1 if any failed or none ran.
/// <c>--skip TEXT</c> (repeatable) leaves out the tests whose name contains TEXT, and says how many it left out;
/// <c>--only TEXT</c> (repeatable) runs only the tests whose name contains one of them.
/// On ARM64 it first checks that the 128-bit vectors are accelerated (AdvSimd), so the run exercises the NEON plan.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var skip = args.Select((a, i) => (a, i)).Where(x => x.a == "--skip" && x.i + 1 < args.Length).Select(x => args[x.i + 1]).ToList();
        var only = args.Select((a, i) => (a, i)).Where(x => x.a == "--only" && x.i + 1 < args.Length).Select(x => args[x.i + 1]).ToList();
        int skipped = 0;
        Console.WriteLine($"{RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.FrameworkDescription}; Vector128 accelerated: {Vector128.IsHardwareAccelerated}, Vector256: {Vector256.IsHardwareAccelerated}, AdvSimd: {System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported}; W^X: {(Environment.GetEnvironmentVariable("DOTNET_EnableWriteXorExecute") == "0" ? "off" : "on (under an emulator such as qemu-user, set DOTNET_EnableWriteXorExecute=0)")}");
        if (RuntimeInformation.ProcessArchitecture == Architecture.Arm64 && !(Vector128.IsHardwareAccelerated && System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported))
        {
            Console.WriteLine("FAILED: on ARM64 the kernels should run on AdvSimd, which is not accelerated here.");
            return 1;
        }
        Assembly tests = typeof(HpcSgd.Tests.Kernels.KernelAgreementTests).Assembly;
        int passed = 0, failed = 0;
        foreach (Type type in tests.GetTypes().Where(IsKernelTestClass).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            foreach (MethodInfo method in type.GetMethods().Where(m => m.GetCustomAttribute<FactAttribute>() is { Skip: null }))
            {
                foreach (object?[] row in Rows(method))
                {
                    string name = $"{type.Name}.{method.Name}({string.Join(", ", row)})";
                    if (skip.Any(name.Contains) || (only.Count > 0 && !only.Any(name.Contains)))
                    {
                        skipped++;
                        continue;
                    }
                    try
                    {
                        object? instance = method.IsStatic ? null : Activator.CreateInstance(type);
                        try
                        {
                            if (method.Invoke(instance, row) is Task task)
                            {
                                task.GetAwaiter().GetResult();
                            }
                        }
                        finally
                        {
                            (instance as IDisposable)?.Dispose();
                        }
                        passed++;
                    }
                    catch (Exception e)
                    {
                        failed++;
                        Exception cause = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
                        Console.WriteLine($"[FAIL] {name}: {cause.GetType().Name}: {cause.Message}");
                        Console.WriteLine(string.Join(Environment.NewLine, (cause.StackTrace ?? "").Split(Environment.NewLine).Take(6)));
                    }
                }
            }
        }
        Console.WriteLine($"kernel tests: {passed} passed, {failed} failed" + (skipped > 0 ? $", {skipped} left out ({string.Join("; ", skip.Select(x => "--skip " + x).Concat(only.Select(x => "--only " + x)))})" : ""));
        Console.WriteLine($"training fingerprint: {TrainingFingerprint()}");
        return failed == 0 && passed > 0 ? 0 : 1;
    }

    /// <summary>
    /// A hash of the parameters after a fixed run of an MLP (ReLU, softmax, momentum): .ci/run compares it between the
    /// net8.0 and net10.0 builds on one machine, which must train bit for bit alike.
    /// </summary>
    private static string TrainingFingerprint()
    {
        HpcSgd.Models.ModelDescription d = HpcSgd.Tests.Models.FashionMlp.Description;
        float[] inputs = [.. Enumerable.Range(0, 500 * d.InputCount).Select(i => MathF.Sin(i * 0.37f))];
        float[] targets = [.. Enumerable.Range(0, 500).Select(i => (float)(i * 7 % d.OutputCount))];
        var model = new HpcSgd.Models.Model<HpcSgd.Tests.Models.FashionMlp>(seed: 4);
        var options = new HpcSgd.Training.TrainingOptions { LearningRate = 0.05f, BatchSize = 64, Steps = 200, Seed = 2, Momentum = 0.9f };
        HpcSgd.Training.Trainer.Train(model, new HpcSgd.Data.Dataset<HpcSgd.Tests.Models.FashionMlp>(inputs, targets), options);
        byte[] bytes = MemoryMarshal.AsBytes(model.Parameters).ToArray();
        // XXH3, not SHA-256: the cryptography classes need OpenSSL, which the arm64 run under qemu does not have.
        return System.IO.Hashing.XxHash3.HashToUInt64(bytes).ToString("X16", System.Globalization.CultureInfo.InvariantCulture) + $" (Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated})";
    }

    private static bool IsKernelTestClass(Type type) =>
        type.GetCustomAttributesData().Any(a => a.AttributeType == typeof(TraitAttribute)
            && a.ConstructorArguments.Select(c => c.Value as string).SequenceEqual(["Category", "Kernels"]));

    private static IEnumerable<object?[]> Rows(MethodInfo method)
    {
        if (method.GetCustomAttribute<TheoryAttribute>() is null)
        {
            return [[]];
        }
        // As xunit does: [InlineData(0, 0.01)] for (float, float) parameters arrives as (int, double).
        ParameterInfo[] parameters = method.GetParameters();
        return method.GetCustomAttributes<DataAttribute>().SelectMany(data => data.GetData(method)).Select(row => row.Select((value, i) =>
            value is IConvertible && i < parameters.Length && value.GetType() != parameters[i].ParameterType && parameters[i].ParameterType.IsPrimitive
                ? Convert(method, row, value, parameters[i].ParameterType)
                : value).ToArray());
    }

    private static object Convert(MethodInfo method, object?[] row, object value, Type type)
    {
        try
        {
            return System.Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
        {
            throw new InvalidOperationException($"{method.DeclaringType!.Name}.{method.Name}: its data row ({string.Join(", ", row)}) does not fit its parameters: {e.Message}", e);
        }
    }
}
