rule mesh:
    input:
        model=rules.geometry.output.model,
    output:
        mesh="results/{case}/mesh/level{level}.msh",
        report="results/{case}/mesh/level{level}.json",
        electrolyte="results/{case}/mesh/level{level}.npz",
    params:
        mesh=MESH_SETTINGS.as_params(),
    log:
        "results/logs/mesh/{case}_level{level}.log",
    benchmark:
        "results/benchmarks/mesh/{case}_level{level}.tsv"
    threads: 1
    resources:
        mem_mb=mesh_level_memory_mb,
        runtime=mesh_level_runtime_min,
    conda:
        "../../environment.yml"
    script:
        "../scripts/mesh.py"


rule mesh_report:
    input:
        reports=expand("results/{case}/mesh/level{level}.json", case=CASES, level=LEVELS),
        benchmarks=expand("results/benchmarks/mesh/{case}_level{level}.tsv", case=CASES, level=LEVELS),
    output:
        table="results/mesh_report.csv",
    log:
        "results/logs/mesh_report.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../scripts/mesh_report.py"


rule mesh_preview:
    input:
        mesh="results/{case}/mesh/level0.msh",
    output:
        picture="results/{case}/mesh/preview.png",
    params:
        dpi=150,
    log:
        "results/logs/mesh_preview/{case}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../scripts/mesh_preview.py"
