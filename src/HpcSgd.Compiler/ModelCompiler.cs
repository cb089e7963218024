using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using HpcSgd.Generators;
using HpcSgd.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace HpcSgd.Compiler;

/// <summary>
/// Compiles a <see cref="ModelDeclaration"/> into the kernels HpcSgd's source generator emits for the same declaration at
/// build time: the declaration's C# and the generator run through Roslyn in this process, the assembly loads into a
/// collectible context, and it is kept in a disk cache keyed by the declaration and the generator and runtime builds.
/// </summary>
public sealed class ModelCompiler
{
    private static readonly Lazy<MetadataReference[]> References = new(LoadReferences);

    private readonly CompilationCache? cache;

    /// <summary>
    /// A compiler with a disk cache in <paramref name="cacheDirectory"/>, by default <see cref="DefaultCacheDirectory"/>
    /// (<paramref name="useCache"/> false: compile every time), planning kernels for <paramref name="kernelTargets"/>: the
    /// generator's target ids, comma-separated; by default the running target only, "" for all.
    /// <paramref name="planTuning"/>: the generator's <c>HpcSgdPlanTuning</c>, overrides of the planner's choices for
    /// measuring them against its own (e.g. "ByteRowsAhead=16"); results are the same bits with any tuning.
    /// </summary>
    public ModelCompiler(string? cacheDirectory = null, bool useCache = true, string? kernelTargets = null, string planTuning = "")
    {
        ArgumentNullException.ThrowIfNull(planTuning);
        cache = useCache ? new CompilationCache(cacheDirectory ?? DefaultCacheDirectory) : null;
        KernelTargets = kernelTargets ?? GeneratorProperties.Running;
        PlanTuning = planTuning;
    }

    /// <summary>The instruction sets kernels are planned for ("" for all); other targets run these kernels too, slower.</summary>
    public string KernelTargets { get; }

    /// <summary>The planner's choices overridden ("" for none).</summary>
    public string PlanTuning { get; }

    /// <summary>HPCSGD_CACHE when set, else HpcSgd/models in the user's local application data (XDG_CACHE_HOME or ~/.cache on Linux).</summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("HPCSGD_CACHE") is { Length: > 0 } configured)
            {
                return configured;
            }
            string root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : OperatingSystem.IsLinux() ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
                : Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
            return Path.Combine(root, "HpcSgd", "models");
        }
    }

    /// <summary>The cache directory, or null without a disk cache.</summary>
    public string? CacheDirectory => cache?.Directory;

    /// <summary>
    /// The compiled model: from the cache when an intact entry exists, else generated, compiled and stored.
    /// </summary>
    /// <exception cref="ModelCompilationException">The generator or compiler reported errors (their IDs and messages are listed).</exception>
    public CompiledModel Compile(ModelDeclaration declaration)
    {
        ArgumentNullException.ThrowIfNull(declaration);
        long start = Stopwatch.GetTimestamp();
        string key = KeyOf(declaration, KernelTargets, PlanTuning);
        string assemblyName = "HpcSgd.Compiled." + declaration.Name + "_" + key[..16];
        byte[]? image = cache?.TryRead(key);
        bool fromCache = image is not null;
        if (image is null)
        {
            image = Build(declaration, assemblyName, KernelTargets, PlanTuning);
            cache?.Write(key, image);
        }
        var context = new ModelLoadContext(assemblyName);
        Assembly assembly = context.LoadFromStream(new MemoryStream(image));
        Type type = assembly.GetType(declaration.Name)
            ?? throw new InvalidOperationException($"The compiled assembly {assemblyName} holds no type {declaration.Name}.");
        return new CompiledModel(declaration, type, context, fromCache, Stopwatch.GetElapsedTime(start), cache?.PathOf(key));
    }

    /// <summary>
    /// The cache key: SHA-256 of the declaration's C#, the kernel targets and plan tuning, the generator's and the runtime
    /// library's module versions (a deterministic build changes them exactly when their code changes) and Roslyn's version.
    /// </summary>
    internal static string KeyOf(ModelDeclaration declaration, string kernelTargets, string planTuning)
    {
        string identity = string.Join('\n',
            "hpcsgd-model-cache 1",
            declaration.ToCSharp(),
            "targets: " + kernelTargets,
            "tuning: " + planTuning,
            typeof(SgdModelGenerator).Assembly.ManifestModule.ModuleVersionId.ToString(),
            typeof(ISgdModel<>).Assembly.ManifestModule.ModuleVersionId.ToString(),
            typeof(CSharpCompilation).Assembly.GetName().Version?.ToString() ?? "");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity))).ToLowerInvariant();
    }

    private static byte[] Build(ModelDeclaration declaration, string assemblyName, string kernelTargets, string planTuning)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        // The global namespace: the model's description then names it as the user declared it; the assembly keeps it apart.
        SyntaxTree tree = CSharpSyntaxTree.ParseText(declaration.ToCSharp(), parseOptions, path: declaration.Name + ".cs");
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: OptimizationLevel.Release, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable, deterministic: true);
        CSharpCompilation compilation = CSharpCompilation.Create(assemblyName, [tree], References.Value, options);
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new SgdModelGenerator().AsSourceGenerator()], parseOptions: parseOptions,
            optionsProvider: new GeneratorProperties(kernelTargets, planTuning));
        driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation generated, out var generatorDiagnostics);
        using var image = new MemoryStream();
        var result = generated.Emit(image);
        string[] errors = generatorDiagnostics.Concat(result.Diagnostics)
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => $"{d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}")
            .Distinct()
            .ToArray();
        if (errors.Length > 0 || !result.Success)
        {
            throw new ModelCompilationException(declaration.Name, errors.Length > 0 ? errors : ["the compiler gave no reason"]);
        }
        return image.ToArray();
    }

    /// <summary>
    /// HpcSgd, the assemblies it references (framework facades and its packages, as this process loaded them) and
    /// System.Private.CoreLib: the generated code needs nothing else, and every further reference costs Roslyn time.
    /// </summary>
    private static MetadataReference[] LoadReferences()
    {
        Assembly library = typeof(ISgdModel<>).Assembly;
        if (string.IsNullOrEmpty(library.Location))
        {
            throw new PlatformNotSupportedException("HpcSgd.dll has no file location (a single-file or NativeAOT app?); run-time model compilation needs the assemblies on disk.");
        }
        Dictionary<string, string> trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(path => Path.GetFileNameWithoutExtension(path), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        IEnumerable<string> names = library.GetReferencedAssemblies().Select(a => a.Name!).Append("System.Private.CoreLib").Append("System.Runtime");
        string[] paths = [.. names.Select(n => trusted.GetValueOrDefault(n)).OfType<string>().Append(library.Location).Distinct()];
        return [.. paths.Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))];
    }

    /// <summary>A collectible context per model; everything else (HpcSgd, the framework) resolves from the default context, so the types are shared.</summary>
    private sealed class ModelLoadContext(string name) : AssemblyLoadContext(name, isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName) => null;
    }
}
