package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() {
	cfgCmd := &cobra.Command{Use: "config", Short: "Show or check the configuration"}
	cfgCmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the configuration; one line per problem, exit 2 if any",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := loadConfig(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "config: OK")
			return nil
		},
	})
	cfgCmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration (defaults, file, environment)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), cfg.YAML())
			return nil
		},
	})
	rootCmd.AddCommand(cfgCmd)
}
