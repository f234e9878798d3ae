module github.com/redactor-go/redactor

go 1.26.8

require (
	github.com/asynkron/protoactor-go v0.0.0-20240822202345-3c0e61ca19c9 // indirect
	github.com/mediocregopher/radix/v4 v4.1.4 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	github.com/tilinna/clock v1.0.2 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
