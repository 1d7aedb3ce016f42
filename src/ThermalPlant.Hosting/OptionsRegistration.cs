using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ThermalPlant.Hosting;

/// <summary>Binds options sections and validates them when the host starts, so bad configuration stops the start.</summary>
public static class OptionsRegistration
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to the configuration section <paramref name="sectionPath"/> and
    /// validates it at start with <see cref="IValidatableOptions.Validate"/>; failures name the full configuration key.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, IConfiguration configuration, string sectionPath)
        where TOptions : class, IValidatableOptions
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IValidateOptions<TOptions>>(new SectionValidator<TOptions>(sectionPath));
        return services.AddOptions<TOptions>()
            .Bind(configuration.GetSection(sectionPath))
            .ValidateOnStart();
    }

    private sealed class SectionValidator<TOptions>(string sectionPath) : IValidateOptions<TOptions>
        where TOptions : class, IValidatableOptions
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var errors = new List<string>();
            options.Validate(sectionPath, errors);
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
