// Command configtable prints the README's table of REBOUND_ variables from
// config.Vars: go run ./scripts/configtable.
package main

import (
	"fmt"

	"github.com/rebound-returns/rebound/config"
)

func main() {
	fmt.Println("| variable | default | what it sets |")
	fmt.Println("|---|---|---|")
	for _, v := range config.Vars {
		d := "—"
		if v.Default != "" {
			d = "`" + v.Default + "`"
		}
		fmt.Printf("| `%s` | %s | %s |\n", v.Name, d, v.Doc)
	}
}
