"""Word lists the sample world writes with. The authoritative lists for analysis are the dbt seeds
(AI keyword list, WIPO IPC Green Inventory codes, environmental and digital-economy keywords); these
are the subsets the generator draws from, and the tests check that every one is in the seeds."""

# Environmental-regulation keywords (study 004: 15 words counted in government work reports)
ENV_KEYWORDS = ("环境保护", "环保", "污染", "能耗", "减排", "排污", "生态", "绿色", "低碳", "空气",
                "化学需氧量", "二氧化硫", "二氧化碳", "PM10", "PM2.5")
# Digital-economy words (study 004's instrument: their share in the work report)
DIGITAL_KEYWORDS = ("数字经济", "大数据", "云计算", "人工智能", "互联网", "物联网", "区块链", "数字化", "5G", "智能制造")

# Business-scope phrases of AI firms (each contains an AI keyword) and of other firms (none does)
AI_SCOPE_PHRASES = ("人工智能应用软件开发", "人工智能基础软件开发", "智能机器人的研发", "计算机视觉技术服务",
                    "图像识别系统开发", "语音识别技术研发", "集成电路芯片设计及服务", "传感器制造",
                    "机器学习算法研发", "深度学习平台技术服务", "自然语言处理技术服务", "人工智能硬件销售")
NON_AI_SCOPE_PHRASES = ("日用百货销售", "餐饮服务", "服装服饰零售", "建筑材料销售", "货物进出口", "农产品收购",
                        "道路货物运输", "房屋租赁", "企业管理咨询", "五金产品批发", "家具销售", "食品经营")

# IPC codes of green patents (entries of the WIPO IPC Green Inventory) and of other patents
GREEN_IPC_SAMPLE = ("F03D1/00", "F03D7/02", "H01L31/042", "F24S10/00", "H01M8/04", "B60L7/10", "C02F1/00",
                    "C02F3/28", "B01D53/34", "F23G5/00", "C10L5/40", "E04B1/74", "H02J7/35", "C12P5/02",
                    "B09B3/00", "F03B13/00", "H02J3/28", "B60K6/20")
OTHER_IPC_SAMPLE = ("G06F16/00", "G06N3/08", "H04L29/06", "A61K36/00", "B65D81/00", "G01N33/00", "H04N5/232",
                    "A47J27/00", "B23K37/00", "G06Q10/00", "H05K7/20", "F16B5/02", "A01G9/02", "B29C45/00")

# Sentences of a work report that contain none of the keywords above
FILLER_SENTENCES = (
    "过去一年，全市上下坚持稳中求进工作总基调，经济社会发展取得新成效。",
    "地区生产总值稳步增长，一般公共预算收入保持平稳。",
    "深入实施创新驱动发展战略，科技创新能力持续增强。",
    "扎实推进乡村振兴，农业农村现代化迈出新步伐。",
    "着力保障和改善民生，城乡居民收入稳步提高。",
    "持续深化改革开放，营商环境不断优化。",
    "教育、卫生、文化、体育等社会事业全面进步。",
    "扎实做好就业、社保、养老等重点工作。",
    "全面加强政府自身建设，依法行政水平不断提升。",
    "城市功能品质持续提升，交通基础设施建设加快推进。",
    "统筹发展和安全，守牢安全生产底线。",
    "新的一年，我们将奋发有为、真抓实干，奋力谱写高质量发展新篇章。",
)
