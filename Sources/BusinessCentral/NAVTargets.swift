import ConnectorCore
import Foundation

/// Entry points the pipeline's registry uses for Business Central and NAV, so it needs no internal type.
public enum NAVTargets {
    /// What the configured BC/NAV path cannot take (dimensions without a NAV field, foreign currency on BC journals,
    /// an unusable balancing account), checked at transform.
    public static func rules(_ configuration: NAVTargetConfiguration) -> any DocumentRules {
        NAVDocumentRules(configuration: configuration)
    }
}
